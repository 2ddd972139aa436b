import { networkModule as network } from "../../src/network/index";
import { ntptime } from "../../src/ntptime/wired";
import { register } from "../../src/register";
register({ network, ntptime });
