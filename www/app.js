// The lab's one script. It makes two more requests worth watching in DevTools → Network
// (none, if it did not run: the page still reads the same without it):
//   1. it fetches /data.json and turns it into the table of content types;
//   2. it writes this server's own address into the commands, so they can be copied as they are
//      (every page of the site loads it: the lab sheet and the lesson page).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const loadedAt = document.getElementById("loaded-at");
  if (loadedAt) {
    loadedAt.textContent = new Date().toLocaleTimeString();
  }

  // Commands on the pages say http://127.0.0.1:8080; in a classroom the server is the
  // teacher's laptop, maybe on another port. Write in the address this page came from.
  for (const origin of document.querySelectorAll(".origin")) {
    origin.textContent = window.location.origin;
  }
  for (const host of document.querySelectorAll(".host")) {
    host.textContent = window.location.host;
  }
  // nc and telnet take the address and the port apart, an IPv6 address without brackets.
  const port = window.location.port || "80";
  const address = window.location.hostname.replace(/^\[(.*)\]$/, "$1");
  for (const nc of document.querySelectorAll(".nc-address")) {
    nc.textContent = `${address} ${port}`;
  }

  const body = document.getElementById("types-body");
  if (!body) {
    return;
  }
  fetch("/data.json")
    .then((response) => {
      if (!response.ok) {
        throw new Error(`${response.status} ${response.statusText}`);
      }
      return response.json();
    })
    .then((data) => {
      body.replaceChildren();
      for (const file of data.files) {
        const row = document.createElement("tr");
        const path = document.createElement("td");
        const link = document.createElement("a");
        link.href = file.path;
        link.textContent = file.path;
        path.append(link);
        const type = document.createElement("td");
        const code = document.createElement("code");
        code.textContent = file.type;
        type.append(code);
        const why = document.createElement("td");
        why.textContent = file.why;
        row.append(path, type, why);
        body.append(row);
      }
    })
    .catch((error) => {
      // textContent, never innerHTML: text from the network is shown, not run.
      body.replaceChildren();
      const row = body.insertRow();
      const cell = row.insertCell();
      cell.colSpan = 3;
      cell.textContent = `Could not load /data.json: ${error.message}`;
    });
});
