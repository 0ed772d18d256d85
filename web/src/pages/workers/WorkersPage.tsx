// Placeholder: replaced by the page's real implementation.
export function WorkersPage() {
  return <section className="page"><h1>WorkersPage</h1></section>;
}
