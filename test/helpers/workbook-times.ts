import ExcelJS from 'exceljs';

// What the time tests share: a UTC time as the server writes it internally (…:ss.sssZ), which no
// output a person reads may show, and the 汇总 sheet of a report workbook as label → value.

export const UTC_TIME = /\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z/;

export async function summaryOf(buffer: Buffer): Promise<Map<string, string>> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(buffer as unknown as ArrayBuffer);
  const sheet = workbook.getWorksheet('汇总');
  const values = new Map<string, string>();
  sheet?.eachRow((row) => values.set(String(row.getCell(1).value), String(row.getCell(2).value)));
  return values;
}
