import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Principal } from '../principal';
import { AddMemberDto, ChangeRoleDto, CreateTeamDto } from './teams.dto';
import { TeamsService } from './teams.service';

@ApiTags('teams')
@ApiBearerAuth()
@Controller('api/teams')
export class TeamsController {
  constructor(private readonly teams: TeamsService) {}

  @Get()
  list(@CurrentUser() user: Principal) {
    return this.teams.list(user.userId);
  }

  @Post()
  create(@CurrentUser() user: Principal, @Body() body: CreateTeamDto) {
    return this.teams.create(user.userId, body.name);
  }

  @Get(':team')
  get(@CurrentUser() user: Principal, @Param('team') team: string) {
    return this.teams.get(user.userId, team);
  }

  @Get(':team/members')
  async members(@CurrentUser() user: Principal, @Param('team') team: string) {
    return (await this.teams.get(user.userId, team)).members;
  }

  @Post(':team/members')
  addMember(@CurrentUser() user: Principal, @Param('team') team: string, @Body() body: AddMemberDto) {
    return this.teams.addMember(user.userId, team, body.email, body.role);
  }

  /** `:member` is the member's email or user id. */
  @Patch(':team/members/:member')
  changeRole(@CurrentUser() user: Principal, @Param('team') team: string, @Param('member') member: string, @Body() body: ChangeRoleDto) {
    return this.teams.changeRole(user.userId, team, member, body.role);
  }

  @Delete(':team/members/:member')
  @HttpCode(204)
  async remove(@CurrentUser() user: Principal, @Param('team') team: string, @Param('member') member: string) {
    await this.teams.removeMember(user.userId, team, member);
  }
}
