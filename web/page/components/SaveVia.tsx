// How a save reaches the disk, where the browser can do both: a picked file (File
// System Access) or its own download manager (the service worker's stream). Where no
// file can be picked, a note says downloads go through the download manager.
export type Via = "file" | "stream";

interface Props {
  name: string;
  via: Via;
  canPick: boolean;
  canStream: boolean;
  onVia(via: Via): void;
  words: { legend: string; file: string; stream: string; streamOnly: string };
}

export function SaveVia({ name, via, canPick, canStream, onVia, words }: Props) {
  if (!canPick) return <p class="note" data-testid={`${name}-stream-only`}>{words.streamOnly}</p>;
  if (!canStream) return null;
  return (
    <fieldset class="via">
      <legend>{words.legend}</legend>
      {(["file", "stream"] as const).map((value) => (
        <label key={value} class="check">
          <input type="radio" name={name} value={value} checked={via === value} onChange={() => onVia(value)} />
          {words[value]}
        </label>
      ))}
    </fieldset>
  );
}
