// The hub's administration (admins only), like ClearML's Settings → Users & Groups:
// users and service accounts, teams, every API key, login lockouts and the audit log,
// a tab each (/admin/TAB).
import { Link, useParams } from "react-router-dom";
import { Empty } from "../../components/feedback";
import { useSession } from "../../session";
import { AuditTab } from "./AuditTab";
import { KeysTab } from "./KeysTab";
import { LockoutsTab } from "./LockoutsTab";
import { TeamsTab } from "./TeamsTab";
import { UsersTab } from "./UsersTab";
import "./admin.css";

const TABS: { id: string; label: string; render: () => React.ReactNode }[] = [
  { id: "users", label: "Users", render: () => <UsersTab /> },
  { id: "teams", label: "Teams", render: () => <TeamsTab /> },
  { id: "keys", label: "API keys", render: () => <KeysTab /> },
  { id: "lockouts", label: "Lockouts", render: () => <LockoutsTab /> },
  { id: "audit", label: "Audit log", render: () => <AuditTab /> },
];

/** The route guard: the admin pages for admins, a plain refusal for everyone else. */
export function AdminOnly({ children }: { children: React.ReactNode }) {
  const { user } = useSession();
  if (user.role !== "admin") {
    return (
      <section className="page">
        <Empty title="Admins only">
          This page is for the hub's administrators. <Link to="/projects">Go to the projects</Link>
        </Empty>
      </section>
    );
  }
  return <>{children}</>;
}

export function AdminPage() {
  const { tab = "users" } = useParams();
  const current = TABS.find((t) => t.id === tab);
  return (
    <AdminOnly>
      <section className="page admin-page">
        <h1>Administration</h1>
        <nav className="tabs" aria-label="Administration tabs">
          {TABS.map((t) => (
            <Link key={t.id} to={`/admin/${t.id}`} className={t.id === tab ? "active" : undefined} aria-current={t.id === tab ? "page" : undefined}>
              {t.label}
            </Link>
          ))}
        </nav>
        <div role="region" aria-label={current?.label ?? "Tab"} data-testid={`admin-${tab}`}>
          {current ? current.render() : <Empty title={`No tab named "${tab}"`} />}
        </div>
      </section>
    </AdminOnly>
  );
}
