// The page's JavaScript for src/app/staff.rs (wasm-bindgen imports it as a module).
export function draw_staff(element, text) {
  // abcjs loads as a classic deferred script before the page's module; wait if it is late.
  if (!window.ABCJS) {
    setTimeout(() => draw_staff(element, text), 100);
    return;
  }
  window.ABCJS.renderAbc(element, text, { responsive: "resize", add_classes: true, paddingtop: 4, paddingbottom: 4 });
  element.dataset.drawn = "true";
  element.dispatchEvent(new Event("melodeon-drawn"));
}

export function mark_note(element, index) {
  for (const old of element.querySelectorAll(".playing")) old.classList.remove("playing");
  const notes = element.querySelectorAll(".abcjs-note, .abcjs-rest");
  if (index >= 0 && index < notes.length) notes[index].classList.add("playing");
}
