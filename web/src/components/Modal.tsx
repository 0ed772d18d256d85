import { useEffect, useRef, useState, type KeyboardEvent as ReactKeyboardEvent, type ReactNode } from "react";

/** The dialog's primary action: Enter in one of its fields presses it. */
const PRIMARY = ":scope > footer [data-primary], :scope > footer button.primary";

/** A field where Enter means "done" (a textarea takes it as a new line, a button presses itself). */
function submitsOnEnter(el: EventTarget): boolean {
  if (!(el instanceof HTMLInputElement)) return false;
  // a field of a <form> of the dialog submits that form itself
  if (el.form) return false;
  return !["button", "submit", "reset", "file", "image"].includes(el.type);
}

/**
 * A dialog over the page; Escape or the backdrop closes it. Enter in any of its fields
 * (not a textarea) presses the footer's primary action, once: a second Enter before the
 * dialog has re-rendered is ignored, and a busy dialog disables its button.
 */
export function Modal({
  title,
  onClose,
  children,
  footer,
  className,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  footer?: ReactNode;
  className?: string;
}) {
  const pressed = useRef(false);
  useEffect(() => {
    pressed.current = false; // a render since the last Enter: the button shows its state now
  });
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  const onKeyDown = (e: ReactKeyboardEvent<HTMLDivElement>) => {
    if (e.key !== "Enter" || e.defaultPrevented || e.nativeEvent.isComposing || e.shiftKey || e.altKey || e.ctrlKey || e.metaKey) return;
    if (!submitsOnEnter(e.target)) return;
    // only this dialog's own fields: not those of a dialog opened from it
    if ((e.target as HTMLElement).closest("[role=dialog]") !== e.currentTarget) return;
    e.preventDefault();
    const button = e.currentTarget.querySelector<HTMLButtonElement>(PRIMARY);
    if (!button || button.disabled || e.repeat || pressed.current) return;
    pressed.current = true;
    button.click();
  };
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className={className ? `modal ${className}` : "modal"} role="dialog" aria-modal="true" aria-label={title} onKeyDown={onKeyDown}>
        <header>
          <h2>{title}</h2>
          <button className="icon" aria-label="Close" onClick={onClose}>
            ×
          </button>
        </header>
        <div className="modal-body">{children}</div>
        {footer && <footer>{footer}</footer>}
      </div>
    </div>
  );
}

const TONES = { primary: "primary", danger: "danger", "danger-fill": "primary danger-fill" } as const;

/**
 * A dialog's buttons: Cancel, then its one action. With ``form`` the action submits that
 * form (Enter in a field does the same); otherwise it calls ``onAction`` (and Enter in a
 * field of the dialog presses it: ``Modal``).
 */
export function DialogFooter({
  action,
  onAction,
  onClose,
  disabled = false,
  tone = "primary",
  form,
}: {
  action: ReactNode;
  onAction?: () => void;
  onClose: () => void;
  disabled?: boolean;
  tone?: keyof typeof TONES;
  form?: string;
}) {
  return (
    <>
      <button type="button" onClick={onClose}>
        Cancel
      </button>
      <button className={TONES[tone]} data-primary="" type={form ? "submit" : "button"} form={form} disabled={disabled} onClick={onAction}>
        {action}
      </button>
    </>
  );
}

/**
 * Asks before an action that loses something: Cancel, or the (red) ``action`` button.
 * With ``typeToConfirm`` the button stays disabled until that text (a project's name) is
 * typed, for what cannot be undone and takes much with it.
 */
export function ConfirmDialog({
  title,
  action,
  busy = false,
  onClose,
  onConfirm,
  children,
  typeToConfirm,
}: {
  title: string;
  action: string;
  busy?: boolean;
  onClose: () => void;
  onConfirm: () => void;
  children: ReactNode;
  typeToConfirm?: string;
}) {
  const [typed, setTyped] = useState("");
  const confirmed = typeToConfirm === undefined || typed.trim() === typeToConfirm;
  return (
    <Modal
      title={title}
      onClose={onClose}
      footer={<DialogFooter action={action} tone="danger" disabled={busy || !confirmed} onClose={onClose} onAction={onConfirm} />}
    >
      {children}
      {typeToConfirm !== undefined && (
        <label>
          <span>
            Type <strong className="mono">{typeToConfirm}</strong> to confirm
          </span>
          <input aria-label="Type the name to confirm" autoFocus autoComplete="off" value={typed} onChange={(e) => setTyped(e.target.value)} />
        </label>
      )}
    </Modal>
  );
}
