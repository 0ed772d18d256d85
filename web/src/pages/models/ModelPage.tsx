// Placeholder: replaced by the page's real implementation.
export function ModelPage() {
  return <section className="page"><h1>ModelPage</h1></section>;
}
