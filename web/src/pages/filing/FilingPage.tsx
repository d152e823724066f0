import { Typography } from 'antd';

export default function FilingPage() {
  return <Typography.Title level={3}>建设中</Typography.Title>;
}
