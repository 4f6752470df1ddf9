// Narrows the list of counterparts as one types (the list works without this: every group
// can be opened and ticked). Loaded as a file of its own: the CSP allows no inline script.
"use strict";
document.querySelectorAll("[data-sok]").forEach(function (box) {
  var list = document.getElementById(box.getAttribute("data-sok"));
  var field = box.querySelector("input");
  var count = box.querySelector("[aria-live]");
  box.hidden = false;
  field.addEventListener("input", function () {
    var words = field.value.toLowerCase().trim();
    var shown = 0;
    list.querySelectorAll("li").forEach(function (item) {
      var match = words === "" || item.textContent.toLowerCase().indexOf(words) !== -1;
      item.hidden = !match;
      if (match) { shown += 1; }
    });
    list.querySelectorAll("details").forEach(function (group) {
      var any = group.querySelector("li:not([hidden])") !== null;
      group.hidden = !any;
      if (words !== "") { group.open = any; }
    });
    count.textContent = words === "" ? "" : shown + (shown === 1 ? " träff" : " träffar");
  });
});
