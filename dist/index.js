import { createRequire as __createRequire } from 'node:module'
const require = __createRequire(import.meta.url)
var a=globalThis.canaryDeployEntry??"main";a==="post"?await(await import("./chunk-Q2GQQAY3.js")).runPost():a==="cli"?await(await import("./chunk-VLRZPXXL.js")).main():await(await import("./chunk-AMWGY7OQ.js")).run();
//# sourceMappingURL=index.js.map
