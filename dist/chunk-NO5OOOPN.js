import { createRequire as __createRequire } from 'node:module'
const require = __createRequire(import.meta.url)
import{a,b,c,d,e,f,g,h,i,j,k}from"./chunk-Y7FWSWT4.js";import"./chunk-7YKKP3R7.js";export{a as SUMMARY_MAX_BYTES,g as closeOpenFence,k as codeBlock,d as escapeTableCell,c as formatDuration,e as markdownTable,b as newReport,h as renderMarkdown,j as skipStage,i as timeStage,f as truncateToBytes};
//# sourceMappingURL=chunk-NO5OOOPN.js.map
