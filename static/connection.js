// Live connection to the terminal's own server; the page shows whether it is connected.
(function () {
  "use strict";
  const socket = io({ transports: ["websocket", "polling"] });
  const root = document.documentElement;
  root.dataset.connection = "connecting";
  socket.on("hello", (info) => {
    root.dataset.connection = "connected";
    root.dataset.serverVersion = info.version;
  });
  socket.on("disconnect", () => { root.dataset.connection = "disconnected"; });
  window.counterSocket = socket;
})();
