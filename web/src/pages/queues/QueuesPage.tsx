// Placeholder: replaced by the page's real implementation.
export function QueuesPage() {
  return <section className="page"><h1>QueuesPage</h1></section>;
}
