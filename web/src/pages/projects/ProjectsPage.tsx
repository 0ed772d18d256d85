// Placeholder: replaced by the page's real implementation.
export function ProjectsPage() {
  return <section className="page"><h1>ProjectsPage</h1></section>;
}
