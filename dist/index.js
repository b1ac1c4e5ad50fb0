import { createRequire as __createRequire } from 'node:module'
const require = __createRequire(import.meta.url)
var a=globalThis.canaryDeployEntry??"main";a==="post"?await(await import("./chunk-64B5PWYL.js")).runPost():a==="cli"?await(await import("./chunk-EBRRL4SF.js")).main():await(await import("./chunk-3XF5TUB3.js")).run();
//# sourceMappingURL=index.js.map
