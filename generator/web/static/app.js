// The office app works without this file; it only makes a second press of «إصدار» visibly impossible.
// (The server already turns a second press of the same form into the first case.)
"use strict";
document.addEventListener("submit", function (event) {
  var form = event.target;
  var button = event.submitter;
  if (!form.classList || !form.classList.contains("entry") || !button || button.value !== "issue") {
    return;
  }
  if (form.classList.contains("sending")) {  // a double click: the first press is on its way
    event.preventDefault();
    return;
  }
  form.classList.add("sending");
  // disabled after the browser has read the pressed button's value into the form data
  window.setTimeout(function () {
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    button.dataset.label = button.textContent;
    button.textContent = "جارٍ الإصدار…";
  }, 0);
});
// Back to a page kept in the browser's memory: its buttons work again (the server still refuses a second case).
window.addEventListener("pageshow", function (event) {
  if (!event.persisted) { return; }
  document.querySelectorAll("form.entry.sending").forEach(function (form) {
    form.classList.remove("sending");
    form.querySelectorAll("button[type=submit]").forEach(function (b) {
      b.disabled = false;
      if (b.dataset.label) { b.textContent = b.dataset.label; }
    });
  });
});
