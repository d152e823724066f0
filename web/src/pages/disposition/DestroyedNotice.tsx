import { Alert } from 'antd';
import { Link } from 'react-router-dom';
import { useAuth } from '../../app/auth';
import { beijingText } from '../../app/time';
import { registerPath } from './appraisalView';

// An item destroyed under a register is its tombstone: the item page says so, names the register
// (linked for those who may read registers) and the digest of what was destroyed. Until every
// replica confirmed its copies deleted it says 销毁中（待副本确认）, not 已销毁.

const REGISTER_READERS = [
  'appraisal.work',
  'destruction.approve',
  'destruction.witness',
  'destruction.carry',
];

export function DestroyedNotice({
  destroyed,
  pending,
}: {
  destroyed: { register: string; at: string; digest: string };
  pending?: boolean;
}) {
  const { can } = useAuth();
  const register = REGISTER_READERS.some(can) ? (
    <Link to={registerPath(destroyed.register)}>{destroyed.register}</Link>
  ) : (
    destroyed.register
  );
  return (
    <Alert
      type="warning"
      showIcon
      style={{ marginTop: 12 }}
      data-testid="destroyed-notice"
      message={
        pending ? (
          <>
            销毁中（待副本确认）：已于 {beijingText(destroyed.at, 'minute')} 按销毁清册 {register}{' '}
            销毁密钥并删减目录信息，尚待各副本确认删除文件
          </>
        ) : (
          <>
            已于 {beijingText(destroyed.at, 'minute')} 按销毁清册 {register} 销毁，仅保留档号、题名等目录信息
          </>
        )
      }
      description={`所销毁内容的摘要：${destroyed.digest}`}
    />
  );
}
