// /approve: show new backchannel authentication requests (CIBA) without a reload.
// Polls the signed-in user's pending requests as JSON every two seconds while the page is
// visible; each request's card is cloned from the page's <template>, filled with textContent
// (never HTML from the server), so the CSRF field and the markup stay the server's.
(function () {
  "use strict";
  var list = document.getElementById("approve-requests");
  var empty = document.getElementById("approve-empty");
  var live = document.getElementById("approve-live");
  var template = document.getElementById("approve-request-template");
  if (!list || !template || !window.fetch) { return; }
  var url = list.getAttribute("data-pending-url");
  var PERIOD = 2000;
  var timer = null;
  var stopped = false;

  function fill(target, entries, attribute, key) {
    target.textContent = "";
    entries.forEach(function (entry) {
      var li = document.createElement("li");
      li.setAttribute(attribute, entry[key]);
      li.textContent = entry.description;
      target.appendChild(li);
    });
  }

  function card(item) {
    var node = template.content.firstElementChild.cloneNode(true);
    node.setAttribute("data-request-id", item.id);
    node.setAttribute("aria-labelledby", "request-" + item.id + "-title");
    node.querySelector("h2").id = "request-" + item.id + "-title";
    node.querySelector(".client-name").textContent = item.client_name;
    var binding = node.querySelector(".binding");
    node.querySelector(".binding-message").textContent = item.binding_message || "";
    binding.hidden = !item.binding_message;
    fill(node.querySelector(".scopes:not(.claims)"), item.scopes, "data-scope", "scope");
    fill(node.querySelector(".claims"), item.claims, "data-claim", "claim");
    node.querySelector(".claims-asked").hidden = item.claims.length === 0;
    node.querySelector(".expires").textContent = item.expires;
    node.querySelector("form").setAttribute("action", "/approve/" + encodeURIComponent(item.id));
    return node;
  }

  function show(items) {
    var shown = {};
    Array.prototype.forEach.call(list.querySelectorAll("[data-request-id]"), function (node) {
      shown[node.getAttribute("data-request-id")] = node;
    });
    var pending = {};
    var added = [];
    // Newest first, as the server lists them: each new one goes on top, oldest new one first.
    items.slice().reverse().forEach(function (item) {
      pending[item.id] = true;
      if (!shown[item.id]) {
        list.insertBefore(card(item), list.firstChild);
        added.push(item.client_name);
      }
    });
    Object.keys(shown).forEach(function (id) {
      // Decided elsewhere or expired; a card whose form is being sent stays until the answer.
      if (!pending[id] && !shown[id].querySelector("form[data-sending]")) { shown[id].remove(); }
    });
    empty.hidden = list.children.length > 0;
    if (added.length) { live.textContent = live.dataset.newRequest.replace("{names}", added.join(", ")); }
  }

  function poll() {
    timer = null;
    if (document.hidden) { return; }  // resumed by visibilitychange
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401) { throw new Error("signed out"); }
        return response.ok ? response.json() : null;
      })
      .then(function (body) {
        if (body) { show(body.requests); }
        schedule();
      })
      .catch(function (error) {
        if (error.message === "signed out") {
          live.textContent = live.dataset.signedOut;
          stopped = true;
          return;  // nothing more to show until the person signs in again
        }
        schedule();  // a network hiccup: try again later
      });
  }

  function schedule() {
    if (timer === null && !stopped) { timer = window.setTimeout(poll, PERIOD); }
  }

  list.addEventListener("submit", function (event) {
    event.target.setAttribute("data-sending", "");
  });
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && timer === null && !stopped) { poll(); }
  });
  schedule();
})();
