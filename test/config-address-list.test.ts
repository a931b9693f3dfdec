// The address lists of uwsgi-allow and trusted-proxy (src/config/address-list.ts): which entries
// the option table accepts, and which peers a list holds.
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { AddressList, addressEntryProblem } from '../src/config/address-list.ts';

describe('addressEntryProblem', () => {
  it('accepts addresses, networks and unix', () => {
    for (const entry of ['10.0.0.1', '10.0.0.0/8', '0.0.0.0/0', '10.0.0.1/32', '::1', 'fd00::/8', '::/0', '::1/128',
      '::ffff:127.0.0.1', 'unix']) {
      assert.equal(addressEntryProblem(entry), undefined, entry);
    }
  });

  it('says what is wrong with anything else', () => {
    for (const [entry, problem] of [
      ['localhost', "'localhost' is not an IP address"],
      ['', "'' is not an IP address"],
      ['/8', "'' is not an IP address"],
      ['UNIX', "'UNIX' is not an IP address"],
      ['10.0.0.256', "'10.0.0.256' is not an IP address"],
      ['10.0.0.0/33', 'the prefix length must be a number from 0 to 32'],
      ['10.0.0.0/', 'the prefix length must be a number from 0 to 32'],
      ['10.0.0.0/-1', 'the prefix length must be a number from 0 to 32'],
      ['10.0.0.0/8/8', 'the prefix length must be a number from 0 to 32'],
      ['10.0.0.0/a', 'the prefix length must be a number from 0 to 32'],
      ['::1/129', 'the prefix length must be a number from 0 to 128'],
      ['fd00::/ 8', 'the prefix length must be a number from 0 to 128'],
    ]) {
      assert.equal(addressEntryProblem(entry), problem, entry);
    }
  });
});

describe('AddressList', () => {
  it('holds the addresses listed, and only those', () => {
    const list = new AddressList(['10.0.0.2', '::1']);
    assert.equal(list.has('10.0.0.2'), true);
    assert.equal(list.has('10.0.0.3'), false);
    assert.equal(list.has('::1'), true);
    assert.equal(list.has('::2'), false);
    assert.deepEqual(list.entries, ['10.0.0.2', '::1']);
    assert.equal(list.empty, false);
    assert.equal(list.unix, false);
  });

  it('holds every address of an IPv4 network, and IPv4-mapped IPv6 peers in it', () => {
    const list = new AddressList(['192.168.0.0/16', '127.0.0.0/8']);
    assert.equal(list.has('192.168.0.0'), true);
    assert.equal(list.has('192.168.255.255'), true);
    assert.equal(list.has('192.169.0.1'), false);
    assert.equal(list.has('127.1.2.3'), true);
    assert.equal(list.has('::ffff:127.0.0.1'), true);
    assert.equal(list.has('::ffff:10.0.0.1'), false);
  });

  it('holds every address of an IPv6 network', () => {
    const list = new AddressList(['fd00::/8', '2001:db8::/32']);
    assert.equal(list.has('fd00::1'), true);
    assert.equal(list.has('fdff:ffff::1'), true);
    assert.equal(list.has('fe00::1'), false);
    assert.equal(list.has('2001:db8:1::1'), true);
    assert.equal(list.has('2001:db9::1'), false);
    assert.equal(list.has('10.0.0.1'), false);
  });

  it('takes 0.0.0.0/0 and ::/0 for everyone of their family', () => {
    const v4 = new AddressList(['0.0.0.0/0']);
    assert.equal(v4.has('203.0.113.7'), true);
    assert.equal(v4.has('2001:db8::1'), false);
    const v6 = new AddressList(['::/0']);
    assert.equal(v6.has('2001:db8::1'), true);
  });

  it('tells unix apart: it names peers on unix sockets, which have no address', () => {
    const list = new AddressList(['unix']);
    assert.equal(list.unix, true);
    assert.equal(list.empty, false);
    assert.equal(list.has('unix'), false);
    assert.equal(list.has('127.0.0.1'), false);
    assert.equal(new AddressList(['unix', '127.0.0.1']).has('127.0.0.1'), true);
  });

  it('holds nothing that is not an address', () => {
    const list = new AddressList(['0.0.0.0/0', '::/0']);
    for (const text of ['', 'localhost', 'not an address', '10.0.0.1:80', '[::1]', ' 10.0.0.1']) {
      assert.equal(list.has(text), false, JSON.stringify(text));
    }
  });

  it('is empty when given no entries', () => {
    const list = new AddressList([]);
    assert.equal(list.empty, true);
    assert.equal(list.unix, false);
    assert.equal(list.has('127.0.0.1'), false);
  });

  it('answers a repeated peer from the last answer, and a new one from the list', (t) => {
    const check = t.mock.method(net.BlockList.prototype, 'check');
    const list = new AddressList(['10.0.0.0/8']);
    assert.equal(list.has('10.0.0.1'), true);
    assert.equal(list.has('10.0.0.1'), true);
    assert.equal(check.mock.callCount(), 1);
    assert.equal(list.has('192.0.2.1'), false);
    assert.equal(list.has('192.0.2.1'), false);
    assert.equal(check.mock.callCount(), 2);
    assert.equal(list.has('10.0.0.1'), true);
    assert.equal(check.mock.callCount(), 3);
    // Each list keeps its own last answer.
    const other = new AddressList([]);
    assert.equal(other.has('10.0.0.1'), false);
    assert.equal(list.has('10.0.0.1'), true);
  });
});
