import { createRequire as __createRequire } from 'node:module'
const require = __createRequire(import.meta.url)
var a=globalThis.canaryDeployEntry??"main";a==="post"?await(await import("./chunk-H6SKA5LW.js")).runPost():a==="cli"?await(await import("./chunk-5ZQPYHSQ.js")).main():await(await import("./chunk-3PDMQYZM.js")).run();
//# sourceMappingURL=index.js.map
