// The full runtime (dist/<board>/camnet.js): every camnet module, registered under its
// seed name for `require(...)`.
import * as network from "./network/index";
import { register } from "./register";

register({ network });
