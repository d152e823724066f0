import { describe, expect, it } from 'vitest';
import type { Item } from './item.schema.js';
import { maskAccount, maskIdNumber, maskItem, maskName, maskPhone } from './item.mask.js';

describe('masking', () => {
  it('keeps the first 6 and last 4 characters of an ID number', () => {
    expect(maskIdNumber('32011519600101123X')).toBe('320115********123X');
    expect(maskIdNumber('320115600101123')).toBe('320115*****1123');
    expect(maskIdNumber('12345')).toBe('*****');
    expect(maskIdNumber(null)).toBeNull();
    expect(maskIdNumber('')).toBeNull();
  });

  it('keeps the first and last character of a name', () => {
    expect(maskName('张三明')).toBe('张*明');
    expect(maskName('张三')).toBe('张*');
    expect(maskName('欧阳娜娜')).toBe('欧**娜');
    expect(maskName('王')).toBe('*');
    expect(maskName('𠮷野家')).toBe('𠮷*家');
    expect(maskName(null)).toBeNull();
  });

  it('keeps 3 + 4 digits of a phone number and 4 + 4 of an account', () => {
    expect(maskPhone('13812345678')).toBe('138****5678');
    expect(maskPhone('025-8765 4321')).toBe('025****4321');
    expect(maskPhone('12345')).toBe('*****');
    expect(maskAccount('6222 0212 3456 7890 123')).toBe('6222***********0123');
    expect(maskAccount('3201150012345')).toBe('3201*****2345');
    expect(maskAccount('1234567')).toBe('*****67');
  });

  it('masks an item’s personal fields, the name inside its title and personal extra fields', () => {
    const item = {
      archiveCode: 'J013-JSLX·2024-D30-JSK-0001',
      title: '胡卫东 门诊慢特病待遇认定表（胡卫东本人申请）',
      name: '胡卫东',
      idNumber: '320115196012045057',
      insuredNumber: '320127080985',
      amount: '12.50',
      extra: {
        phone: '13912345678',
        bankAccount: '6222021234567890',
        hospital: '南京鼓楼医院',
        guardian: '胡小红',
        days: 3,
      },
    } as unknown as Item;
    const masked = maskItem(item);
    expect(masked).toMatchObject({
      title: '胡*东 门诊慢特病待遇认定表（胡*东本人申请）',
      name: '胡*东',
      idNumber: '320115********5057',
      insuredNumber: '3201****0985',
      amount: '12.50',
      extra: {
        phone: '139****5678',
        bankAccount: '6222********7890',
        hospital: '南京鼓楼医院',
        guardian: '胡*红',
        days: 3,
      },
    });
    // The original is untouched.
    expect(item.name).toBe('胡卫东');
    const serialized = JSON.stringify(masked);
    for (const secret of ['卫', '196012', '13912345678', '6222021234567890', '080985'])
      expect(serialized, secret).not.toContain(secret);
  });
});
