// Placeholder: replaced by the page's real implementation.
export function ExperimentsPage() {
  return <section className="page"><h1>ExperimentsPage</h1></section>;
}
