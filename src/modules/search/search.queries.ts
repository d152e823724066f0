// What other modules call of search: forgetting a destroyed item's document and page text.
export { forgetItemText } from './forget.repo.js';
