// Text shown with line numbers (a script, a setup script, a configuration object).
export function CodeBlock({ text, label }: { text: string; label?: string }) {
  const lines = text.replace(/\n$/, "").split("\n");
  return (
    <div className="code numbered" aria-label={label} role="group">
      <table className="code-lines">
        <tbody>
          {lines.map((line, i) => (
            <tr key={i}>
              <td className="ln">{i + 1}</td>
              <td>{line}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
