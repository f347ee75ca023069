// Connection form: the port list follows the chosen server, and the ADDP settings show only with
// the addp protocol. Progressive enhancement: without this file the page has a "List the ports of
// this server" button (the form comes back with that server's ports, nothing saved) and the ADDP
// settings are always shown. Hiding never clears a value: switching back to addp shows them as
// they were; a save with another protocol removes them, and the page says so before.
(function () {
  "use strict";
  var form = document.querySelector("form[data-connection-form]");
  if (!form || !form.hasAttribute("data-ports")) {
    return;
  }
  var ports = JSON.parse(form.getAttribute("data-ports"));
  var server = form.querySelector("select[data-server-select]");
  var port = form.querySelector("select[data-port-select]");
  var protocol = form.querySelector("select[data-protocol-select]");
  var relist = document.getElementById("list-ports");
  var listedFor = form.querySelector("input[data-listed-for]");
  var addp = document.getElementById("addp-settings");
  var dropped = document.getElementById("addp-dropped");

  function option(value, label) {
    var element = document.createElement("option");
    element.value = value;
    element.textContent = label;
    return element;
  }

  function fillPorts() {
    var list = ports[server.value] || [];
    var current = port.value;
    var keep = list.some(function (entry) { return entry[0] === current; });
    var secured = list.filter(function (entry) { return entry[2] === "secured"; });
    var chosen = keep ? current : (secured.length ? secured[0][0] : "");
    port.replaceChildren(option("", server.value ? "choose a port" : "choose a server first"));
    list.forEach(function (entry) {
      var element = option(entry[0], entry[1]);
      if (entry[2] === "secured") {
        element.setAttribute("data-secured", "");
      }
      port.appendChild(element);
    });
    port.value = chosen;
    if (listedFor) {
      listedFor.value = server.value;  // the list now shows this server's ports
    }
  }

  function addpHasValues() {
    return Array.prototype.some.call(addp.querySelectorAll("input, select"), function (field) {
      return field.value !== "" && !(field.tagName === "SELECT" && field.value === "off");
    });
  }

  function showAddp() {
    var isAddp = protocol.value === "addp";
    addp.hidden = !isAddp;
    dropped.hidden = isAddp || !addpHasValues();
  }

  if (relist) {
    relist.hidden = true;
  }
  var help = document.getElementById("addp-help");
  if (help) {
    help.textContent = "Used only with the addp protocol.";
  }
  if (server && port) {
    server.addEventListener("change", fillPorts);
  }
  if (protocol && addp && dropped) {
    protocol.addEventListener("change", showAddp);
    showAddp();
  }
})();
