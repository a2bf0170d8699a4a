export function App() {
  return <h1>tradebot</h1>;
}
