// avahi-daemon in a namespace, with a private D-Bus for avahi-resolve and avahi-browse
// (protocols.md §5.3-§5.4): shared by the avahi peer tests and `npm run bench` (figures of
// issue 4). Nothing here touches a host avahi or bus: private mounts, sockets in temp dirs.
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startDaemon, type Daemon } from "./helpers.ts";

export const AVAHI = "/usr/sbin/avahi-daemon";
export const TOOLS = ["/usr/bin/avahi-resolve", "/usr/bin/avahi-browse", "/usr/bin/dbus-daemon"];
export const TCPDUMP = "/usr/bin/tcpdump";

/** Runs a program in a namespace with the private bus; its stdout (rejects on failure). */
export function run(ns: string, bus: string, args: string[], timeoutMs = 8000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("ip", ["netns", "exec", ns, "env", `DBUS_SYSTEM_BUS_ADDRESS=${bus}`, ...args], { timeout: timeoutMs },
      (e, out, err) => (e ? reject(new Error(`${args.join(" ")}: ${e.message} ${err}`)) : resolve(out)));
  });
}

export async function waitFor(d: Daemon, re: RegExp, what: string, limitMs = 10000): Promise<void> {
  const start = Date.now();
  while (!re.test(d.log())) {
    if (Date.now() - start > limitMs) throw new Error(`${what} did not start:\n${d.log()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A system bus of our own (a socket in a temp dir, so a host bus is never touched). */
export async function startBus(): Promise<{ daemon: Daemon; address: string }> {
  let address = "";
  const daemon = startDaemon("/usr/bin/dbus-daemon", (dir) => {
    address = `unix:path=${join(dir, "bus")}`;
    writeFileSync(join(dir, "bus.conf"), `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>${address}</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="*"/><allow own="*"/><allow send_destination="*"/><allow receive_sender="*"/></policy>
</busconfig>\n`);
    return [`--config-file=${join(dir, "bus.conf")}`, "--nofork", "--nopidfile", "--print-address"];
  }, "camnet-dbus-");
  await waitFor(daemon, /unix:path=/, "dbus-daemon");
  return { daemon, address };
}

/** avahi-daemon in namespace `ns` on `iface`, named `hostName`, with a static _ipp._tcp
 *  service "Peer Printer" on 631; its pid directory and /etc/avahi/services are private
 *  mounts, so a host avahi is never touched. Resolves when avahi has its name. */
export async function startAvahi(ns: string, iface: string, bus: string, hostName: string): Promise<Daemon> {
  const d = startDaemon("ip", (dir) => {
    const conf = join(dir, "avahi-daemon.conf"), services = join(dir, "services");
    writeFileSync(conf, `[server]\nhost-name=${hostName}\ndomain-name=local\nuse-ipv4=yes\nuse-ipv6=no\n`
      + `allow-interfaces=${iface}\nenable-dbus=yes\nratelimit-interval-usec=1000000\nratelimit-burst=1000\n`
      + "[wide-area]\nenable-wide-area=no\n[publish]\npublish-addresses=yes\npublish-hinfo=no\npublish-workstation=no\n"
      + "[reflector]\nenable-reflector=no\n");
    mkdirSync(services);
    writeFileSync(join(services, "printer.service"), `<?xml version="1.0" standalone='no'?>
<!DOCTYPE service-group SYSTEM "avahi-service.dtd">
<service-group><name>Peer Printer</name>
<service><type>_ipp._tcp</type><port>631</port><txt-record>rp=printer</txt-record></service>
</service-group>\n`);
    const script = "mount --make-rprivate / && mkdir -p /run/avahi-daemon && mount -t tmpfs tmpfs /run/avahi-daemon"
      + ` && mount --bind ${services} /etc/avahi/services && exec env DBUS_SYSTEM_BUS_ADDRESS=${bus}`
      + ` ${AVAHI} -f ${conf} --no-rlimits --no-chroot --no-drop-root --debug`;
    return ["netns", "exec", ns, "unshare", "-m", "sh", "-c", script];
  }, "camnet-avahi-");
  await waitFor(d, /Server startup complete/, "avahi-daemon");
  return d;
}
