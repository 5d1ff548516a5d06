import { IocLink } from './links';

/** ATT&CK techniques with their names, each id a link to its own answer page. */
export function TechniqueList({ techniques }: { techniques: { id: string; name: string | null }[] }) {
  return (
    <ul class="plain technique-list">
      {techniques.map((t) => (
        <li key={t.id}>
          <IocLink value={t.id} /> {t.name ?? <span class="muted">(not in this ATT&amp;CK release)</span>}
        </li>
      ))}
    </ul>
  );
}
