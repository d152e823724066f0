import { BellOutlined } from '@ant-design/icons';
import { Badge } from 'antd';
import { useEffect, useState } from 'react';
import { Link, useLocation } from 'react-router-dom';
import { api, unwrap } from '../../api/client';

// The bell in the console's header: the caller's unread notices (站内通知), read again on every page
// change and once a minute, and the way into the inbox.

const POLL_MS = 60_000;

/** Pages that change what is read (the inbox) tell the bell to look again at once. */
export const NOTICES_CHANGED = 'yidang:notices-changed';

export function NoticeBell() {
  const location = useLocation();
  const [unread, setUnread] = useState(0);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const again = () => setTick((value) => value + 1);
    const timer = window.setInterval(again, POLL_MS);
    window.addEventListener(NOTICES_CHANGED, again);
    return () => {
      window.clearInterval(timer);
      window.removeEventListener(NOTICES_CHANGED, again);
    };
  }, []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a page change or a tick reads the count again
  useEffect(() => {
    let live = true;
    unwrap(api.GET('/api/v1/notices/unread-count')).then(
      (answer) => {
        if (live) setUnread(answer.unread);
      },
      // The bell is a hint: a failed count leaves the last one shown (the page reports its own errors).
      () => {},
    );
    return () => {
      live = false;
    };
  }, [location.pathname, tick]);
  return (
    <Link to="/notices" aria-label={unread > 0 ? `站内通知，${unread} 条未读` : '站内通知'}>
      <Badge count={unread} size="small" overflowCount={99}>
        <BellOutlined style={{ fontSize: 18 }} />
      </Badge>
    </Link>
  );
}
