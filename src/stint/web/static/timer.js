// The home page while a timer runs: count the shown durations (h:mm:ss) up, once a second,
// until the next page load brings the server's figures.
"use strict";
(() => {
  const ticking = Array.from(document.querySelectorAll("time[data-ticking]"));
  if (ticking.length === 0) return;
  const seconds = (text) => {
    const [h, m, s] = text.trim().split(":").map(Number);
    return h * 3600 + m * 60 + s;
  };
  const shown = (total) => {
    const pad = (n) => String(n).padStart(2, "0");
    return `${Math.floor(total / 3600)}:${pad(Math.floor((total % 3600) / 60))}:${pad(total % 60)}`;
  };
  const loaded = Date.now();
  const base = ticking.map((element) => seconds(element.textContent));
  setInterval(() => {
    const gone = Math.floor((Date.now() - loaded) / 1000);
    ticking.forEach((element, i) => {
      element.textContent = shown(base[i] + gone);
    });
  }, 1000);
})();
