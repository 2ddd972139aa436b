# A serial port without a board: a pseudo-terminal whose other end is the emulated board's
# console (TCP). Prints the port's path, then relays bytes both ways until stdin closes
# (the test ends) or the console hangs up. Raw mode: no echo, no line editing, as a UART.
import os, pty, select, socket, sys, tty

master, slave = pty.openpty()
tty.setraw(master)
tty.setraw(slave)
print(os.ttyname(slave), flush=True)
con = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
stdin = sys.stdin.fileno()
while True:
    ready, _, _ = select.select([master, con, stdin], [], [])
    if stdin in ready and not os.read(stdin, 1024):
        break
    if con in ready:
        data = con.recv(4096)
        if not data:
            break
        os.write(master, data)
    if master in ready:
        try:
            data = os.read(master, 4096)
        except OSError:  # no process has the port open right now
            continue
        con.sendall(data)
