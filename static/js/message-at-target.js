// A confirmation ("Heel raise moved down.") shows where the page opens, not at the top of a
// long page out of sight. After a change the week opens at the item or the day it was about
// (an address ending in #item-12 or #day-mon): the message is moved there, under its heading,
// and given the focus, which brings it into view and has a screen reader read it. Without
// script it stays at the top of the page. A file, so the CSP can forbid inline script.
// On "load", not before: Chromium takes the focus back when it goes to the #place.
window.addEventListener("load", function () {
  var main = document.getElementById("main");
  var box = main && main.querySelector(":scope > .messages");
  var id = decodeURIComponent(window.location.hash.slice(1));
  var target = id && document.getElementById(id);
  if (!box || !target || target === main || !main.contains(target)) {
    return;
  }
  var heading = target.querySelector("h2, h3");
  if (heading) {
    heading.after(box);
  } else {
    target.before(box);
  }
  box.tabIndex = -1;
  box.focus();
});
