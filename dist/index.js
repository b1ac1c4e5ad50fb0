import { createRequire as __createRequire } from 'node:module'
const require = __createRequire(import.meta.url)
var a=globalThis.canaryDeployEntry??"main";a==="post"?await(await import("./chunk-E6RFFNHO.js")).runPost():a==="cli"?await(await import("./chunk-IR3USXBS.js")).main():await(await import("./chunk-KNFDWVCX.js")).run();
//# sourceMappingURL=index.js.map
