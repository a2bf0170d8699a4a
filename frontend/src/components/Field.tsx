import { type ReactNode, useId } from 'react';

interface ControlProps {
  id: string;
  'aria-invalid': boolean;
  'aria-describedby': string | undefined;
}

interface Props {
  label: string;
  error?: string | undefined;
  help?: ReactNode;
  /** A checkbox or radio: the control comes before its label, on one line. */
  inline?: boolean;
  children: (props: ControlProps) => ReactNode;
}

/** A label, its control, help text and the field's error, wired for screen readers. */
export function Field({ label, error, help, inline = false, children }: Props) {
  const id = useId();
  const helpId = help ? `${id}-help` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [errorId, helpId].filter(Boolean).join(' ') || undefined;
  const control = children({ id, 'aria-invalid': Boolean(error), 'aria-describedby': describedBy });
  return (
    <div className={`field${inline ? ' field--check' : ''}${error ? ' field--invalid' : ''}`}>
      {inline ? (
        <label htmlFor={id}>
          {control} {label}
        </label>
      ) : (
        <>
          <label htmlFor={id}>{label}</label>
          {control}
        </>
      )}
      {error && (
        <p className="field__error" id={errorId} role="alert">
          {error}
        </p>
      )}
      {help && (
        <p className="field__help" id={helpId}>
          {help}
        </p>
      )}
    </div>
  );
}
