import { Link } from 'react-router';

export function NotFoundPage({ what = 'page' }: { what?: string }) {
  return (
    <section className="card notfound" data-testid="not-found" aria-labelledby="nf-title">
      <h1 id="nf-title">Not found</h1>
      <p>This {what} does not exist, or it is not yours.</p>
      <Link className="btn btn--primary" to="/">
        Back to the dashboard
      </Link>
    </section>
  );
}
