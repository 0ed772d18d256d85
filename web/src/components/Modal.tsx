import { useEffect, type ReactNode } from "react";

/** A dialog over the page; Escape or the backdrop closes it. */
export function Modal({
  title,
  onClose,
  children,
  footer,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  footer?: ReactNode;
}) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="modal" role="dialog" aria-modal="true" aria-label={title}>
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
 * form (Enter in a field does the same); otherwise it calls ``onAction``.
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
      <button onClick={onClose}>Cancel</button>
      <button className={TONES[tone]} type={form ? "submit" : "button"} form={form} disabled={disabled} onClick={onAction}>
        {action}
      </button>
    </>
  );
}

/** Asks before an action that loses something: Cancel, or the (red) ``action`` button. */
export function ConfirmDialog({
  title,
  action,
  busy = false,
  onClose,
  onConfirm,
  children,
}: {
  title: string;
  action: string;
  busy?: boolean;
  onClose: () => void;
  onConfirm: () => void;
  children: ReactNode;
}) {
  return (
    <Modal
      title={title}
      onClose={onClose}
      footer={<DialogFooter action={action} tone="danger" disabled={busy} onClose={onClose} onAction={onConfirm} />}
    >
      {children}
    </Modal>
  );
}
