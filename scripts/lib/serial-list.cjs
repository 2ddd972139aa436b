// Preloaded into the Espruino CLI (node -r) when flashing or opening a REPL over a serial port.
// The CLI opens only a port that serialport's list() returns, and on Linux that list comes from
// `udevadm`: containers, WSL and minimal systems have none (list() fails, "Port not found"), and
// udev never lists pseudo-terminals or symlinks such as /dev/serial/by-id/... The port named in
// CAMNET_SERIAL_PORT was checked to exist by scripts/flash.ts, so it joins the list.
"use strict";
const { SerialPort } = require("serialport");
const list = SerialPort.list.bind(SerialPort);
const wanted = process.env.CAMNET_SERIAL_PORT;
SerialPort.list = () =>
  list()
    .catch(() => [])
    .then((ports) => (wanted && !ports.some((p) => p.path === wanted) ? ports.concat([{ path: wanted }]) : ports));
