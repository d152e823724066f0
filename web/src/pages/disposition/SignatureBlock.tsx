import { Descriptions, Typography } from 'antd';
import { beijingText } from '../../app/time';
import type { Signature } from './destructionView';
import { SIGN_ROLE_NAMES } from './names';

// The register's signature block as the printed PDF has it: the appraisal lead, the approver and two
// 监销人, each with the date and time they signed (or 待签字).

const SLOTS = ['lead', 'approver', 'witness', 'witness'] as const;

export function SignatureBlock({ signatures }: { signatures: Signature[] }) {
  const used = new Set<Signature>();
  return (
    <Descriptions bordered size="small" column={{ xs: 1, md: 2, xl: 4 }} data-testid="signature-block">
      {SLOTS.map((role, index) => {
        const signature = signatures.find((entry) => entry.role === role && !used.has(entry));
        if (signature) used.add(signature);
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: the four slots are fixed
          <Descriptions.Item key={index} label={SIGN_ROLE_NAMES[role] ?? role}>
            {signature ? (
              <>
                {signature.user}
                <Typography.Text type="secondary"> {beijingText(signature.at, 'minute')}</Typography.Text>
              </>
            ) : (
              <Typography.Text type="secondary">待签字</Typography.Text>
            )}
          </Descriptions.Item>
        );
      })}
    </Descriptions>
  );
}
