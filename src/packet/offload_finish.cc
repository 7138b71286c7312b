#include "packet/offload_finish.h"

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "packet/checksum.h"
#include "packet/headers.h"

namespace flowpath {

namespace {

constexpr uint16_t kTcpFin = 0x001;
constexpr uint16_t kTcpPsh = 0x008;
constexpr uint16_t kTcpCwr = 0x080;
constexpr uint32_t kUdpChecksumOffset = offsetof(UdpHeader, checksum);
constexpr uint32_t kTcpChecksumOffset = offsetof(TcpHeader, checksum);
constexpr uint32_t kGreBaseLength = 4;        // flags and protocol
constexpr uint8_t kGreChecksumFlagByte = 0x80;  // C, in the first byte

}  // namespace

void finish_checksum(Packet& p) {
  const uint32_t start = p.offload.l4_offset;
  const uint32_t field = start + p.offload.checksum_offset;
  if (field + 2 > p.size() || start >= p.size()) {
    p.offload.clear();
    return;
  }
  // The field holds the pseudo-header sum: summing from the start over it
  // gives the checksum the whole segment needs.
  be16 checksum = checksum_finish(checksum_add(0, p.data() + start, p.size() - start));
  // A computed 0 goes out as 0xffff (for UDP 0 would mean "no checksum").
  if (checksum == 0) checksum = 0xffff;
  store_unaligned<be16>(p.data() + field, checksum);
  p.offload.needs &= static_cast<uint8_t>(~offload::kPartialChecksum);
}

Segmenter::Segmenter(const Packet& super_frame) : frame_(super_frame) {
  const PacketOffload& o = frame_.offload;
  const uint32_t size = frame_.size();
  const uint8_t* data = frame_.data();
  tcp_ = (o.needs & (offload::kTcp4Segmentation | offload::kTcp6Segmentation)) != 0;
  ipv6_ = (o.needs & offload::kTcp6Segmentation) != 0;
  if (o.segment_size == 0 || o.l3_offset >= o.l4_offset || o.l4_offset >= size) return;
  const uint8_t version = data[o.l3_offset] >> 4;
  if ((o.needs & offload::kUdpSegmentation) != 0) ipv6_ = version == 6;
  if (version != (ipv6_ ? 6 : 4)) return;
  const uint32_t l3_length = static_cast<uint32_t>(o.l4_offset - o.l3_offset);
  if (!ipv6_ && l3_length < sizeof(Ipv4Header)) return;
  if (ipv6_ && l3_length < sizeof(Ipv6Header)) return;
  if (tcp_) {
    if (o.l4_offset + sizeof(TcpHeader) > size) return;
    const uint32_t tcp_length = (data[o.l4_offset + 12] >> 4) * 4u;
    if (tcp_length < sizeof(TcpHeader)) return;
    header_length_ = o.l4_offset + tcp_length;
  } else {
    header_length_ = o.l4_offset + static_cast<uint32_t>(sizeof(UdpHeader));
  }
  if (header_length_ > size) return;
  if ((o.needs & offload::kTunnel) != 0 && !find_outer_headers()) return;
  payload_length_ = size - header_length_;
  segment_size_ = o.segment_size;
  segments_ = std::max<uint32_t>(1, (payload_length_ + segment_size_ - 1) / segment_size_);
  valid_ = true;
}

Packet* Segmenter::next(PacketPool& pool) {
  if (remaining() == 0) return nullptr;
  const uint32_t offset = next_ * segment_size_;
  const uint32_t payload = std::min(segment_size_, payload_length_ - offset);
  const uint32_t size = header_length_ + payload;
  Packet* segment = pool.allocate(size);
  if (segment == nullptr) return nullptr;
  const PacketOffload& o = frame_.offload;
  uint8_t* out = segment->put(size);
  std::memcpy(out, frame_.data(), header_length_);
  std::memcpy(out + header_length_, frame_.data() + header_length_ + offset, payload);
  segment->md = frame_.md;
  std::memcpy(segment->geneve_options, frame_.geneve_options, frame_.md.tunnel.geneve_length);
  segment->l2_5_offset = frame_.l2_5_offset;
  segment->l3_offset = frame_.l3_offset;
  segment->l4_offset = frame_.l4_offset;
  segment->rss_hash = frame_.rss_hash;

  uint8_t* ip = out + o.l3_offset;
  uint8_t* l4 = out + o.l4_offset;
  const uint32_t l4_length = size - o.l4_offset;
  uint64_t pseudo_header;
  const uint8_t proto = tcp_ ? ipproto::kTcp : ipproto::kUdp;
  if (ipv6_) {
    auto* header = reinterpret_cast<Ipv6Header*>(ip);
    store_unaligned<be16>(&header->payload_length,
                          hton16(static_cast<uint16_t>(size - o.l3_offset - sizeof(Ipv6Header))));
    pseudo_header = pseudo_header_ipv6(header->src, header->dst, proto, l4_length);
  } else {
    auto* header = reinterpret_cast<Ipv4Header*>(ip);
    const uint32_t header_length = (ip[0] & 0x0f) * 4u;
    store_unaligned<be16>(&header->total_length,
                          hton16(static_cast<uint16_t>(size - o.l3_offset)));
    const uint16_t id = ntoh16(load_unaligned<be16>(&header->id));
    store_unaligned<be16>(&header->id, hton16(static_cast<uint16_t>(id + next_)));
    store_unaligned<be16>(&header->checksum, 0);
    store_unaligned<be16>(&header->checksum, ipv4_header_checksum(ip, header_length));
    pseudo_header = pseudo_header_ipv4(load_unaligned<be32>(&header->src),
                                       load_unaligned<be32>(&header->dst), proto, l4_length);
  }
  uint32_t checksum_offset;
  if (tcp_) {
    auto* tcp = reinterpret_cast<TcpHeader*>(l4);
    const uint32_t seq = ntoh32(load_unaligned<be32>(&tcp->seq));
    store_unaligned<be32>(&tcp->seq, hton32(seq + offset));
    uint16_t offset_flags = ntoh16(load_unaligned<be16>(&tcp->offset_flags));
    if (next_ + 1 != segments_) offset_flags &= static_cast<uint16_t>(~(kTcpFin | kTcpPsh));
    if (next_ != 0) offset_flags &= static_cast<uint16_t>(~kTcpCwr);
    store_unaligned<be16>(&tcp->offset_flags, hton16(offset_flags));
    checksum_offset = kTcpChecksumOffset;
  } else {
    auto* udp = reinterpret_cast<UdpHeader*>(l4);
    store_unaligned<be16>(&udp->length, hton16(static_cast<uint16_t>(l4_length)));
    checksum_offset = kUdpChecksumOffset;
  }
  be16 checksum = transport_checksum(pseudo_header, l4, l4_length, checksum_offset);
  if (!tcp_ && checksum == 0) checksum = 0xffff;
  store_unaligned<be16>(l4 + checksum_offset, checksum);
  if (outer_l4_offset_ != 0) set_outer_headers(out, size);
  ++next_;
  return segment;
}

// The outer IP header at outer_l3_offset, with UDP (GRE with kGreTunnel)
// inside it and the inner headers after the UDP (GRE) header.
bool Segmenter::find_outer_headers() {
  const PacketOffload& o = frame_.offload;
  const uint8_t* data = frame_.data();
  outer_gre_ = (o.needs & offload::kGreTunnel) != 0;
  const uint8_t proto = outer_gre_ ? ipproto::kGre : ipproto::kUdp;
  const uint32_t l4_length = outer_gre_ ? kGreBaseLength : sizeof(UdpHeader);
  const uint32_t outer = o.outer_l3_offset;
  if (outer + sizeof(Ipv4Header) > o.l3_offset) return false;
  const uint8_t version = data[outer] >> 4;
  uint32_t udp;
  if (version == 4) {
    const auto* header = reinterpret_cast<const Ipv4Header*>(data + outer);
    if (header->proto != proto) return false;
    udp = outer + (data[outer] & 0x0f) * 4u;
  } else if (version == 6) {
    const auto* header = reinterpret_cast<const Ipv6Header*>(data + outer);
    if (outer + sizeof(Ipv6Header) > o.l3_offset || header->next_header != proto) return false;
    udp = outer + static_cast<uint32_t>(sizeof(Ipv6Header));
    outer_ipv6_ = true;
  } else {
    return false;
  }
  if (udp + l4_length > o.l3_offset) return false;
  outer_l4_offset_ = udp;
  return true;
}

void Segmenter::set_outer_headers(uint8_t* frame, uint32_t size) const {
  uint8_t* ip = frame + frame_.offload.outer_l3_offset;
  uint8_t* udp = frame + outer_l4_offset_;
  const uint32_t udp_length = size - outer_l4_offset_;
  if (!outer_gre_)
    store_unaligned<be16>(udp + offsetof(UdpHeader, length), hton16(static_cast<uint16_t>(udp_length)));
  uint64_t pseudo_header;
  if (outer_ipv6_) {
    auto* header = reinterpret_cast<Ipv6Header*>(ip);
    store_unaligned<be16>(&header->payload_length,
                          hton16(static_cast<uint16_t>(size - (ip - frame) - sizeof(Ipv6Header))));
    pseudo_header = pseudo_header_ipv6(header->src, header->dst, ipproto::kUdp, udp_length);
  } else {
    auto* header = reinterpret_cast<Ipv4Header*>(ip);
    const uint32_t header_length = (ip[0] & 0x0f) * 4u;
    store_unaligned<be16>(&header->total_length, hton16(static_cast<uint16_t>(size - (ip - frame))));
    const uint16_t id = ntoh16(load_unaligned<be16>(&header->id));
    store_unaligned<be16>(&header->id, hton16(static_cast<uint16_t>(id + next_)));
    store_unaligned<be16>(&header->checksum, 0);
    store_unaligned<be16>(&header->checksum, ipv4_header_checksum(ip, header_length));
    pseudo_header = pseudo_header_ipv4(load_unaligned<be32>(&header->src),
                                       load_unaligned<be32>(&header->dst), ipproto::kUdp, udp_length);
  }
  if (outer_gre_) {
    // The GRE checksum: over the GRE header (its checksum field zero) and
    // what follows, with no pseudo-header.
    if ((udp[0] & kGreChecksumFlagByte) == 0) return;
    store_unaligned<be16>(udp + kGreBaseLength, 0);
    store_unaligned<be16>(udp + kGreBaseLength,
                          checksum_finish(checksum_add(0, udp, udp_length)));
    return;
  }
  if (load_unaligned<be16>(udp + offsetof(UdpHeader, checksum)) == 0) return;  // none sent
  be16 checksum = transport_checksum(pseudo_header, udp, udp_length, kUdpChecksumOffset);
  store_unaligned<be16>(udp + kUdpChecksumOffset, checksum == 0 ? be16{0xffff} : checksum);
}

}  // namespace flowpath
