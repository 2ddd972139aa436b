import { networkModule as network } from "../../src/network/index";
import { register } from "../../src/register";
register({ network });
