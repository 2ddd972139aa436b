import { networkModule as network } from "../../src/network/index";
import { ntptime } from "../../src/ntptime/wired";
import { mdns } from "../../src/mdns/service";
import { register } from "../../src/register";
register({ network, ntptime, mdns });
