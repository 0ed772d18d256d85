// After a failed Save, the user is taken to what went wrong: the first invalid field of
// the form (focused, so it can be corrected at once), or else the error message itself.
// A long form (the parameters editor, an admin dialog) may have its Save far from both.
import { useEffect, type RefObject } from "react";

const FIELD = '[aria-invalid="true"]';
/** the parts of the page one Save belongs to, nearest first */
const SCOPE = "form, [role=dialog], [data-form]";

function isTextField(el: Element | null): boolean {
  if (!el) return false;
  const tag = el.tagName;
  return tag === "TEXTAREA" || tag === "SELECT" || (tag === "INPUT" && !["button", "submit", "checkbox", "radio"].includes((el as HTMLInputElement).type));
}

/**
 * Scrolls to the first invalid field of the scope holding ``box`` (or of the page) and
 * focuses it; without one, scrolls to ``box`` and focuses it, unless the user is typing
 * in a field (a message must not take the focus from under the keyboard).
 */
export function revealError(box: HTMLElement | null): void {
  if (!box || !box.isConnected) return;
  const scope = box.closest(SCOPE) ?? document.body;
  const field = scope.querySelector<HTMLElement>(FIELD);
  if (field) {
    field.scrollIntoView({ block: "center" });
    field.focus({ preventScroll: true });
    return;
  }
  box.scrollIntoView({ block: "nearest" });
  if (!isTextField(document.activeElement)) {
    if (!box.hasAttribute("tabindex")) box.tabIndex = -1;
    box.focus({ preventScroll: true });
  }
}

/** Reveals ``ref``'s element each time ``error`` becomes a new (truthy) value. */
export function useRevealError(error: unknown, ref: RefObject<HTMLElement | null>, enabled = true): void {
  useEffect(() => {
    if (error && enabled) revealError(ref.current);
  }, [error, ref, enabled]);
}
