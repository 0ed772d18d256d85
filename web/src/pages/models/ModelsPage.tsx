// Placeholder: replaced by the page's real implementation.
export function ModelsPage() {
  return <section className="page"><h1>ModelsPage</h1></section>;
}
