import { createRequire as __createRequire } from 'node:module'
const require = __createRequire(import.meta.url)
import{a,b,c,d,e,f,g,h,i,j,k}from"./chunk-QMXITO7X.js";import"./chunk-7YKKP3R7.js";export{a as SUMMARY_MAX_BYTES,k as analysisSection,f as closeOpenFence,j as codeBlock,d as escapeTableCell,c as formatDuration,b as newReport,g as renderMarkdown,i as skipStage,h as timeStage,e as truncateToBytes};
//# sourceMappingURL=chunk-H6Z6SZCY.js.map
