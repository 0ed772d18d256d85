// The user's own profile (user menu → Profile), a tab each (/profile/TAB): who they are
// and their password, their open sessions, their API keys.
import { Link, useParams } from "react-router-dom";
import type { User } from "../api/types";
import { Empty } from "../components/feedback";
import { addressListText } from "../lib/security";
import { formatTime } from "../lib/format";
import { useSession } from "../session";
import { KeysPanel } from "./account/KeysPage";
import { PasswordForm } from "./ProfilePassword";
import { SessionsPanel } from "./ProfileSessions";
import "./admin/admin.css";

function AccountTab() {
  const user = useSession().user as User;
  return (
    <>
      <div className="card">
        <table className="profile-facts">
          <tbody>
            <tr>
              <th>Name</th>
              <td>{user.name}</td>
            </tr>
            <tr>
              <th>E-mail</th>
              <td>{user.email ?? "—"}</td>
            </tr>
            <tr>
              <th>Role</th>
              <td>{user.role}</td>
            </tr>
            <tr>
              <th>Teams</th>
              <td>{user.teams && user.teams.length ? user.teams.map((t) => t.name).join(", ") : "—"}</td>
            </tr>
            <tr>
              <th>Logs in with</th>
              <td>{user.auth_source === "oidc" ? "single sign-on" : "a password"}</td>
            </tr>
            <tr>
              <th>Allowed addresses</th>
              <td>{addressListText(user.allowed_ips, "anywhere")}</td>
            </tr>
            <tr>
              <th>Since</th>
              <td>{formatTime(user.created_at)}</td>
            </tr>
          </tbody>
        </table>
      </div>
      {user.auth_source === "oidc" ? (
        <p className="muted">Your password is the one of your single sign-on provider: change it there.</p>
      ) : (
        <PasswordForm />
      )}
    </>
  );
}

const TABS: { id: string; label: string; render: () => React.ReactNode }[] = [
  { id: "account", label: "Account", render: () => <AccountTab /> },
  { id: "sessions", label: "Sessions", render: () => <SessionsPanel /> },
  { id: "keys", label: "API keys", render: () => <KeysPanel /> },
];

export function ProfilePage() {
  const { tab = "account" } = useParams();
  const { user } = useSession();
  const current = TABS.find((t) => t.id === tab);
  return (
    <section className="page profile-page">
      <h1>Profile of {user.name}</h1>
      <nav className="tabs" aria-label="Profile tabs">
        {TABS.map((t) => (
          <Link key={t.id} to={`/profile/${t.id}`} className={t.id === tab ? "active" : undefined} aria-current={t.id === tab ? "page" : undefined}>
            {t.label}
          </Link>
        ))}
      </nav>
      <div role="region" aria-label={current?.label ?? "Tab"} data-testid={`profile-${tab}`}>
        {current ? current.render() : <Empty title={`No tab named "${tab}"`} />}
      </div>
    </section>
  );
}
