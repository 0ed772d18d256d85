// Placeholder: replaced by the page's real implementation.
export function ComparePage() {
  return <section className="page"><h1>ComparePage</h1></section>;
}
