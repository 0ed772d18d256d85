// The ``?`` help: every keyboard shortcut registered now (lib/shortcuts.ts), by group, so
// that it always tells the truth about the page on screen.
import { Fragment } from "react";
import { useRegisteredShortcuts } from "../lib/shortcuts";
import { Modal } from "./Modal";

/** ``g p`` -> two keys, "then"; ``?`` -> one key. */
function Keys({ spec }: { spec: string }) {
  const keys = spec.split(" ");
  return (
    <span className="shortcut-keys">
      {keys.map((k, i) => (
        <Fragment key={i}>
          {i > 0 && <span className="muted small"> then </span>}
          <kbd>{k}</kbd>
        </Fragment>
      ))}
    </span>
  );
}

export function ShortcutHelp({ onClose }: { onClose: () => void }) {
  const entries = useRegisteredShortcuts();
  const groups = new Map<string, { key: string; description: string }[]>();
  for (const e of entries) {
    const list = groups.get(e.group) ?? [];
    // a key registered twice (a page overriding a global one) is listed once, the newest
    const kept = list.filter((x) => x.key !== e.key);
    groups.set(e.group, [...kept, { key: e.key, description: e.description }]);
  }
  return (
    <Modal title="Keyboard shortcuts" onClose={onClose} className="shortcut-help" footer={<button onClick={onClose}>Close</button>}>
      <div className="shortcut-groups" data-testid="shortcut-help">
        {[...groups].map(([group, list]) => (
          <section key={group} aria-label={group}>
            <h3>{group}</h3>
            <dl>
              {list.map((s) => (
                <div key={s.key} className="shortcut" data-key={s.key}>
                  <dt>
                    <Keys spec={s.key} />
                  </dt>
                  <dd>{s.description}</dd>
                </div>
              ))}
            </dl>
          </section>
        ))}
      </div>
      <p className="muted small">Shortcuts wait while you type in a field; Escape closes a dialog.</p>
    </Modal>
  );
}
