// The page's JavaScript for src/app/files.rs (wasm-bindgen imports it as a module).
export async function dropped_files(transfer) {
  // Entries must be taken before the first await: the drop's data is gone afterwards.
  const entries = [...(transfer.items || [])]
    .map((item) => (item.webkitGetAsEntry ? item.webkitGetAsEntry() : null))
    .filter(Boolean);
  const out = [];
  if (entries.length === 0) {
    for (const file of transfer.files) out.push({ name: file.name, file });
    return out;
  }
  const walk = async (entry, path) => {
    if (entry.isFile) {
      const file = await new Promise((ok, fail) => entry.file(ok, fail));
      out.push({ name: path + entry.name, file });
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (;;) {
        const batch = await new Promise((ok, fail) => reader.readEntries(ok, fail));
        if (batch.length === 0) break;
        for (const child of batch) await walk(child, path + entry.name + "/");
      }
    }
  };
  for (const entry of entries) await walk(entry, "");
  return out;
}

export function input_files(input) {
  return [...input.files].map((file) => ({ name: file.webkitRelativePath || file.name, file }));
}

export async function file_bytes(file) {
  return new Uint8Array(await file.arrayBuffer());
}

export function total_size(list) {
  return list.reduce((sum, { file }) => sum + file.size, 0);
}

export async function read_packed(list, chunk, progress) {
  // A chunk at a time, concurrently within it; unreadable files become empty ones (the
  // report names them). Then one buffer for all, so the worker gets a single transfer.
  const parts = [];
  for (let i = 0; i < list.length; i += chunk) {
    progress(i);
    const slice = list.slice(i, i + chunk);
    parts.push(...(await Promise.all(slice.map(({ file }) =>
      file.arrayBuffer().then((b) => new Uint8Array(b), () => new Uint8Array(0))))));
    // Let the page paint the progress between chunks.
    await new Promise((ok) => setTimeout(ok, 0));
  }
  const ends = new Uint32Array(parts.length);
  let total = 0;
  parts.forEach((part, i) => { total += part.length; ends[i] = total; });
  const bytes = new Uint8Array(total);
  parts.forEach((part, i) => bytes.set(part, ends[i] - part.length));
  return { names: list.map(({ name }) => name), bytes, ends };
}
