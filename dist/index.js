import { createRequire as __createRequire } from 'node:module'
const require = __createRequire(import.meta.url)
var a=globalThis.canaryDeployEntry??"main";a==="post"?await(await import("./chunk-WYNS2XBV.js")).runPost():a==="cli"?await(await import("./chunk-2CCXD3VW.js")).main():await(await import("./chunk-FSVWWBCE.js")).run();
//# sourceMappingURL=index.js.map
