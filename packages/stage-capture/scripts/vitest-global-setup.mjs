// vitest globalSetup: the tests import src/runtime/*.ts, which import the generated page bundles;
// make sure they exist and match src/runtime/page before any test file loads.
import { bundleRuntime } from "./bundle-runtime.mjs";

export default function setup() {
  bundleRuntime();
}
