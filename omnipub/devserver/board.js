// The preview board: scale each frame to a thumbnail of its device, submit filters on change.
(() => {
  const MAX_WIDTH = 520, MAX_HEIGHT = 540;
  function scale() {
    for (const frame of document.querySelectorAll(".frame[data-width][data-height]")) {
      const width = Number(frame.dataset.width), height = Number(frame.dataset.height);
      const room = Math.min(MAX_WIDTH, frame.parentElement.parentElement.clientWidth - 20);
      const factor = Math.min(room / width, MAX_HEIGHT / height, 1);
      frame.classList.add("scaled");
      frame.style.width = `${Math.round(width * factor)}px`;
      frame.style.height = `${Math.round(height * factor)}px`;
      const inner = frame.querySelector("iframe");
      inner.style.transform = `scale(${factor})`;
    }
  }
  function filters() {
    for (const select of document.querySelectorAll(".filters select")) {
      select.addEventListener("change", () => select.form.requestSubmit());
    }
  }
  document.addEventListener("DOMContentLoaded", () => { scale(); filters(); });
  window.addEventListener("resize", scale);
})();
